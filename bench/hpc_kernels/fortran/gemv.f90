subroutine gemv(m, n, A, x, y)
  implicit none
  integer, intent(in) :: m, n
  double precision, intent(in) :: A(m, n), x(n)
  double precision, intent(out) :: y(m)
  integer :: i, j
  double precision :: s
  !$omp parallel do private(j, s)
  do i = 1, m
    s = 0d0
    do j = 1, n
      s = s + A(i, j) * x(j)
    end do
    y(i) = s
  end do
  !$omp end parallel do
end subroutine gemv
