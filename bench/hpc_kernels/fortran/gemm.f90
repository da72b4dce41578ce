subroutine gemm(m, n, k, A, B, C)
  implicit none
  integer, intent(in) :: m, n, k
  double precision, intent(in) :: A(m, k), B(k, n)
  double precision, intent(out) :: C(m, n)
  integer :: i, j, l
  double precision :: s
  !$omp parallel do private(i, l, s)
  do j = 1, n
    do i = 1, m
      s = 0d0
      do l = 1, k
        s = s + A(i, l) * B(l, j)
      end do
      C(i, j) = s
    end do
  end do
  !$omp end parallel do
end subroutine gemm
