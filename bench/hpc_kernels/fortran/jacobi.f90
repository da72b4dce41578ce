subroutine jacobi(n, u, unew, diff)
  implicit none
  integer, intent(in) :: n
  double precision, intent(in) :: u(n, n)
  double precision, intent(inout) :: unew(n, n)
  double precision, intent(out) :: diff
  integer :: i, j
  double precision :: v
  diff = 0d0
  !$omp parallel do private(i, v) reduction(+:diff)
  do j = 2, n - 1
    do i = 2, n - 1
      v = 0.25d0 * (u(i - 1, j) + u(i + 1, j) + u(i, j - 1) + u(i, j + 1))
      unew(i, j) = v
      diff = diff + (v - u(i, j))**2
    end do
  end do
  !$omp end parallel do
end subroutine jacobi
