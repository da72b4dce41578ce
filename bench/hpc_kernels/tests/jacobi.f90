program tests
  use hpc_test_support
  implicit none
  external :: jacobi
  integer :: sizes(3) = [3, 4, 2048], s, n, i, j, round
  double precision, allocatable :: u(:, :), unew(:, :), flat(:)
  double precision :: diff, want, v
  do s = 1, 3
    n = sizes(s)
    allocate(u(n, n), unew(n, n), flat(n * n))
    call t_vec(flat, 0.0007d0, 0.3d0); u = reshape(flat, [n, n]); unew = u
    do round = 1, merge(12, 3, n > 100)  ! a race needs many chances to show
      call jacobi(n, u, unew, diff)
      want = 0d0
      do j = 1, n
        do i = 1, n
          v = u(i, j)
          if (i > 1 .and. j > 1 .and. i < n .and. j < n) then
            v = 0.25d0 * (u(i - 1, j) + u(i + 1, j) + u(i, j - 1) + u(i, j + 1))
            want = want + (v - u(i, j))**2
          end if
          if (.not. t_close(unew(i, j), v, 1d-14)) error stop "FAILED: jacobi update"
        end do
      end do
      if (.not. t_close(diff, want, 1d-10)) error stop "FAILED: jacobi difference"
      u = unew
    end do
    deallocate(u, unew, flat)
  end do
end program tests
